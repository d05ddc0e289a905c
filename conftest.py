# The kata harness (implementation loading, devices, progress table) is a plain pytest plugin,
# so the graders can load the very same one.
pytest_plugins = ["katas.harness.plugin"]
