"""The resource types' reference is the one its tables render, and the
project's documents are reStructuredText that parses without a warning."""

import io
import pathlib

import docutils.core
import pytest

import heat_docker
from heat_docker import reference

ROOT = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = ROOT / 'doc' / 'resource-types.rst'


def test_the_committed_reference_is_the_rendered_one():
    assert REFERENCE.read_text() == reference.render(), (
        'doc/resource-types.rst is out of date: python -m '
        'heat_docker.reference > doc/resource-types.rst'
    )


def test_the_reference_covers_every_property_and_attribute():
    text = REFERENCE.read_text()
    for name, cls in heat_docker.resource_mapping().items():
        section = text.split('\n%s\n' % name, 1)[1].split('\n\n\n', 1)[0]
        for prop in cls.properties_schema:
            assert '\n``%s`` (' % prop in section, (name, prop)
        for attribute in {
            **cls.base_attributes_schema,
            **cls.attributes_schema,
        }:
            assert '\n``%s``\n' % attribute in section, (name, attribute)


@pytest.mark.parametrize('document', ['README.rst', 'doc/resource-types.rst'])
def test_a_document_parses_without_warnings(document):
    warnings = io.StringIO()
    docutils.core.publish_doctree(
        (ROOT / document).read_text(),
        source_path=document,
        settings_overrides={'report_level': 2, 'warning_stream': warnings},
    )
    assert warnings.getvalue() == ''
