from heat_docker import available_resource_mapping  # noqa: F401
