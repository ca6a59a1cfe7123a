pytest_plugins = ["tests.fixtures.certificates"]
