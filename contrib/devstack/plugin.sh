#!/bin/bash
# devstack plugin: install heat-docker into heat-engine's environment and
# configure it. Not run by this project's CI.

function install_heat_docker {
    setup_develop "$HEAT_DOCKER_DIR"
}

function configure_heat_docker {
    local plugin_dir=$HEAT_DOCKER_DIR/contrib
    local dirs
    dirs=$(iniget "$HEAT_CONF" DEFAULT plugin_dirs)
    iniset "$HEAT_CONF" DEFAULT plugin_dirs "${dirs:+$dirs,}$plugin_dir"
    iniset "$HEAT_CONF" docker allowed_endpoints "$HEAT_DOCKER_ALLOWED_ENDPOINTS"
    iniset "$HEAT_CONF" docker default_endpoint "$HEAT_DOCKER_DEFAULT_ENDPOINT"
}

if is_service_enabled h-eng; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing heat-docker"
        install_heat_docker
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring heat-docker"
        configure_heat_docker
    fi
fi
