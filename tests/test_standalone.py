"""The standalone engine's configuration of Heat."""

import os


def test_heats_environment_and_templates_are_found(heat):
    from oslo_config import cfg

    for option in ('environment_dir', 'template_dir'):
        assert os.path.isdir(cfg.CONF[option]), (option, cfg.CONF[option])
    assert os.listdir(cfg.CONF.environment_dir)
