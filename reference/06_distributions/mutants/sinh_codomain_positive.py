"""SinhTransform copies ExpTransform's codomain, constraints.positive: sinh of a negative x is negative,
and log_prob refuses every y < 0 as outside the support."""

SinhTransform.codomain = constraints.positive
