"""Print harness results as reStructuredText tables (as in README.rst).

python bench/table.py RESULTS.json
"""

import json
import sys

METHODS = ('heat-docker', 'compose', 'docker-py-seq', 'docker-py-pool')


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
    header = ['case', 'phase'] + list(METHODS)
    rows = []
    for case in results['cases']:
        for phase in ('create', 'delete'):
            row = [case_name(case), phase]
            for method in METHODS:
                wall = case['methods'].get(method, {}).get(phase, {})
                if not wall:
                    row.append('-')
                    continue
                wall = wall['wall']
                row.append(
                    '%.2f (%.2f-%.2f)'
                    % (wall['median'], wall['min'], wall['max'])
                )
            rows.append(row)
    return grid(header, rows)


def ratios(results):
    header = [
        'case',
        'phase',
        'heat/compose',
        'heat/limit',
        'limit',
        'overhead/ctr s',
        'heat CPU s',
        'heat RSS MiB',
    ]
    rows = []
    for case in results['cases']:
        for phase in ('create', 'delete'):
            ratio = case['ratios'][phase]
            heat = case['methods']['heat-docker'][phase]
            rows.append(
                [
                    case_name(case),
                    phase,
                    '%.2f (%.2f-%.2f)'
                    % tuple(
                        ratio['compose'][k] for k in ('median', 'min', 'max')
                    ),
                    '%.2f (%.2f-%.2f)'
                    % tuple(
                        ratio['threadpool'][k]
                        for k in ('median', 'min', 'max')
                    ),
                    case['limit_method'].removeprefix('docker-py-'),
                    '%.3f' % case['overhead_per_container'][phase]['median'],
                    '%.1f' % heat['cpu']['median'],
                    '%.0f' % heat['rss_mib']['median'],
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
    print(
        'Start-up: heat-docker stack list %.2f s (median; %.2f-%.2f), '
        'import heat_docker.cli %.2f s\n'
        % (
            startup['stack_list_wall']['median'],
            startup['stack_list_wall']['min'],
            startup['stack_list_wall']['max'],
            startup['import_heat_docker_cli']['median'],
        )
    )
    print('Seconds, median (min-max):\n')
    print(times(results))
    print('\nRatios pair by pair, median (min-max):\n')
    print(ratios(results))
    print('\nTargets:\n')
    print(checks(results))


if __name__ == '__main__':
    main()
