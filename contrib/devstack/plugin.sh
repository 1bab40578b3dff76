#!/bin/bash
# devstack plugin: install heat-docker into heat-engine's environment and
# configure it, as README.rst ("In a heat-engine") tells an operator and as
# tools/heat-cloud does. Not run by this project's CI.

# The Python heat-engine runs in: devstack's (global) virtualenv, or the
# system's.
function _heat_docker_python {
    if [[ -x "$HEAT_BIN_DIR/python3" ]]; then
        echo "$HEAT_BIN_DIR/python3"
    else
        echo python3
    fi
}

function install_heat_docker {
    # A plain install (not editable, no [heat] extra: Heat is there), so
    # that <prefix>/share/heat-docker/plugins exists.
    pip_install "$HEAT_DOCKER_DIR"
}

# Where pip put contrib/heat_docker_plugin.py: <prefix>/share/heat-docker/plugins
function _heat_docker_plugin_dir {
    $(_heat_docker_python) - <<'EOF'
import importlib.metadata
import os

dist = importlib.metadata.distribution('heat-docker')
for f in dist.files:
    if f.name == 'heat_docker_plugin.py' and 'share' in f.parts:
        print(os.path.dirname(os.path.realpath(dist.locate_file(f))))
        break
EOF
}

function configure_heat_docker {
    local plugin_dir dirs
    plugin_dir=$(_heat_docker_plugin_dir)
    if [[ -z "$plugin_dir" ]]; then
        die $LINENO "heat-docker's share/heat-docker/plugins not found"
    fi
    dirs=$(iniget "$HEAT_CONF" DEFAULT plugin_dirs)
    if [[ ",$dirs," != *",$plugin_dir,"* ]]; then
        iniset "$HEAT_CONF" DEFAULT plugin_dirs "${dirs:+$dirs,}$plugin_dir"
    fi
    # Hidden parameters (registry passwords, secret env) encrypted in
    # Heat's database too, not only masked.
    iniset "$HEAT_CONF" DEFAULT encrypt_parameters_and_properties True
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
