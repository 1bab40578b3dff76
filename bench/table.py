"""Print harness results as reStructuredText tables (as in README.rst).

python bench/table.py RESULTS.json
"""

import json
import sys

METHODS = (
    'heat-docker',
    'heat-docker-cold',
    'compose',
    'docker-py-seq',
    'docker-py-pool',
)


def span(summary, fmt='%.2f'):
    """median (min-max), or - where nothing was measured."""
    if not summary:
        return '-'
    return ('%s (%s-%s)' % (fmt, fmt, fmt)) % (
        summary['median'],
        summary['min'],
        summary['max'],
    )


def median(summary, fmt):
    return fmt % summary['median'] if summary else '-'


def grid(header, rows):
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(header, *rows, strict=True)
    ]
    rule = '  '.join('=' * w for w in widths)

    def line(cells):
        padded = (str(c).ljust(w) for c, w in zip(cells, widths, strict=True))
        return '  '.join(padded).rstrip()

    lines = [rule, line(header), rule] + [line(row) for row in rows]
    lines.append(rule)
    return '\n'.join(lines)


def case_name(case):
    return '%s %s%d' % (
        case['series'],
        'chain ' if case['chain'] else 'N=',
        case['n'],
    )


def times(results):
    methods = [
        m for m in METHODS if any(m in c['methods'] for c in results['cases'])
    ]
    header = ['case', 'phase'] + methods
    rows = []
    for case in results['cases']:
        for phase in ('create', 'delete'):
            row = [case_name(case), phase]
            for method in methods:
                entry = case['methods'].get(method, {}).get(phase)
                row.append(span(entry and entry['wall']))
            rows.append(row)
    return grid(header, rows)


def ratios(results):
    """heat-docker's (warm) ratios; the command's CPU and RSS, and the
    engine's over the same span, with Heat's write transactions, where
    the results have them (an engine in the command before)."""
    header = [
        'case',
        'phase',
        'heat/compose',
        'cold/compose',
        'heat/limit',
        'limit',
        'overhead/ctr s',
        'cmd CPU s',
        'cmd RSS MiB',
        'engine CPU s',
        'engine RSS MiB',
        'writes/ctr',
    ]
    rows = []
    for case in results['cases']:
        for phase in ('create', 'delete'):
            ratio = case['ratios'][phase]
            heat = case['methods']['heat-docker'].get(phase, {})
            rows.append(
                [
                    case_name(case),
                    phase,
                    span(ratio['compose']),
                    span(ratio.get('cold_compose')),
                    span(ratio['threadpool']),
                    case['limit_method'].removeprefix('docker-py-'),
                    median(case['overhead_per_container'][phase], '%.3f'),
                    median(heat.get('cpu'), '%.2f'),
                    median(heat.get('rss_mib'), '%.0f'),
                    median(heat.get('engine_cpu'), '%.2f'),
                    median(heat.get('engine_rss_mib'), '%.0f'),
                    median(heat.get('writes_per_container'), '%.1f'),
                ]
            )
    return grid(header, rows)


def checks(results):
    header = ['target', 'limit', 'median', 'result']
    rows = [
        [
            check['what'],
            '%.2f' % check['target'],
            '%.2f' % check['median'],
            'met'
            if check['met']
            else 'MISSED by %.0f%%'
            % (100 * (check['median'] / check['target'] - 1)),
        ]
        for check in results['checks']
    ]
    return grid(header, rows)


def main():
    with open(sys.argv[1]) as results_file:
        results = json.load(results_file)
    startup = results['startup']
    cold = startup.get('stack_list_cold_wall')
    print(
        'Start-up: heat-docker stack list %s s%s (median; min-max), '
        'import heat_docker.cli %.2f s\n'
        % (
            span(startup['stack_list_wall']),
            ' warm, %s s cold' % span(cold) if cold else '',
            startup['import_heat_docker_cli']['median'],
        )
    )
    if 'loadavg' in results:
        print(
            'Load average before: %s; after: %s\n'
            % (results['loadavg']['before'], results['loadavg'].get('after'))
        )
    print('Seconds, median (min-max):\n')
    print(times(results))
    print('\nRatios pair by pair, median (min-max):\n')
    print(ratios(results))
    print('\nTargets:\n')
    print(checks(results))


if __name__ == '__main__':
    main()
