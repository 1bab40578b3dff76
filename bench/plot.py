"""Plot median create and delete times against N from harness results.

python bench/plot.py RESULTS.json OUT.png
"""

import json
import sys

import matplotlib

matplotlib.use('Agg')
from matplotlib import ticker  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)

# One colour per method in every panel.
COLORS = {
    'heat-docker': 'tab:red',
    'heat-docker-cold': 'tab:purple',
    'compose': 'tab:blue',
    'docker-py-seq': 'tab:green',
    'docker-py-pool': 'tab:orange',
}


def main():
    results_path, out = sys.argv[1:]
    with open(results_path) as results_file:
        results = json.load(results_file)
    series = sorted({case['series'] for case in results['cases']})
    figure, axes = plt.subplots(
        len(series), 2, figsize=(11, 4.5 * len(series)), squeeze=False
    )
    for row, name in zip(axes, series, strict=True):
        cases = [
            c
            for c in results['cases']
            if c['series'] == name and not c['chain']
        ]
        cases.sort(key=lambda c: c['n'])
        chains = [
            c for c in results['cases'] if c['series'] == name and c['chain']
        ]
        for ax, phase in zip(row, ('create', 'delete'), strict=True):
            methods = {m for c in cases for m in c['methods']}
            for method in sorted(methods):
                points = [
                    (c['n'], c['methods'][method][phase]['wall'])
                    for c in cases
                    if phase in c['methods'].get(method, {})
                ]
                if not points:
                    continue
                ns = [n for n, _ in points]
                medians = [w['median'] for _, w in points]
                errors = [
                    [w['median'] - w['min'] for _, w in points],
                    [w['max'] - w['median'] for _, w in points],
                ]
                ax.errorbar(
                    ns,
                    medians,
                    yerr=errors,
                    marker='o',
                    capsize=3,
                    color=COLORS[method],
                    label=method,
                )
                for chain in chains:
                    if phase in chain['methods'].get(method, {}):
                        ax.plot(
                            chain['n'],
                            chain['methods'][method][phase]['wall']['median'],
                            marker='*',
                            markersize=12,
                            linestyle='none',
                            color=COLORS[method],
                        )
            ax.set_xscale('log')
            ax.set_yscale('log')
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_major_formatter(ticker.ScalarFormatter())
            ax.set_xlabel('containers (N); star: chain of N')
            ax.set_ylabel('seconds (median, bars min-max)')
            ax.set_title('series %s: %s' % (name, phase))
            ax.grid(True, which='both', alpha=0.3)
            ax.legend()
    machine = results['machine']
    figure.suptitle(
        'heat-docker vs docker-compose %s vs docker-py; %d runs; '
        '%d cores, kernel %s, Docker %s'
        % (
            machine['docker_compose'],
            results['settings']['runs'],
            machine['nproc'],
            machine['kernel'],
            machine['docker_server'],
        )
    )
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    print('wrote', out)


if __name__ == '__main__':
    main()
