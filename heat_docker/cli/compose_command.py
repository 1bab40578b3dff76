"""``heat-docker template from-compose``: a Compose project as a HOT
template. It needs neither the engine nor Heat: Compose's own loader reads
the files (:mod:`heat_docker.compose`)."""

import os

from heat_docker.cli.common import Command
from heat_docker.cli.common import CommandFailed


def environment_path(template_path):
    """Where the environment file of ``template_path`` goes:
    ``app.yaml`` -> ``app-env.yaml``, beside it."""
    root, extension = os.path.splitext(template_path)
    return '%s-env%s' % (root, extension or '.yaml')


class FromCompose(Command):
    """Convert a Compose project to a HOT template.

    Services become DockerInc::Docker::Container resources, top-level
    networks and volumes DockerInc::Docker::Network and ::Volume, with
    Compose's names (PROJECT-SERVICE-1, PROJECT_NETWORK) and its default
    network. Variables become template parameters where a property takes
    their value as it is; their values at conversion are the parameters'
    defaults, and go to an environment file beside the template. What has
    no equivalent is listed on stderr, one line per key.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            'files',
            metavar='<compose-file>',
            nargs='*',
            help='Compose files, merged in order as docker compose -f '
            'merges them (default: compose.yaml, docker-compose.yml... in '
            'the current directory, as Compose finds them)',
        )
        parser.add_argument(
            '-o',
            '--output',
            metavar='<template>',
            help='Write the template to this file, and the environment '
            'file of its parameters beside it (NAME-env.yaml); default: '
            'the template on stdout',
        )
        parser.add_argument(
            '--env-file',
            metavar='<file>',
            help="Compose's environment file for interpolation (default: "
            '.env in the project directory)',
        )
        parser.add_argument(
            '-p',
            '--project-name',
            metavar='<name>',
            help="The project's name (default: Compose's: the top-level "
            'name, COMPOSE_PROJECT_NAME, or the directory)',
        )
        parser.add_argument(
            '--profile',
            metavar='<profile>',
            action='append',
            default=[],
            help='Enable the services of this profile (repeatable)',
        )
        return parser

    def take_action(self, parsed_args):
        import yaml

        from heat_docker import compose

        try:
            project = compose.load(
                parsed_args.files,
                parsed_args.env_file,
                parsed_args.project_name,
                parsed_args.profile,
            )
        except compose.ComposeError as exc:
            raise CommandFailed(str(exc)) from None
        template, environment, unsupported = compose.convert(
            project.model, project.raw_model, project.variables
        )
        for line in project.notes + unsupported:
            self.app.stderr.write('%s\n' % line)

        def dump(data):
            return yaml.safe_dump(data, sort_keys=False, width=79)

        if not parsed_args.output:
            self.app.stdout.write(dump(template))
            return
        with open(parsed_args.output, 'w') as f:
            f.write(dump(template))
        if environment:
            with open(environment_path(parsed_args.output), 'w') as f:
                f.write(dump(environment))


COMMANDS = {'template from-compose': FromCompose}
