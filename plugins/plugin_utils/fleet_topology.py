# -*- coding: utf-8 -*-
# Copyright: dataiku_gitops.dss contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The order of a fleet's deployments: the waves of dependent projects (an upstream project's bundle is activated
before its dependents') and the rollout phases of an environment with several nodes (a canary node first, then
the other nodes in batches), combined into one step number per host that the deploy play runs in order.

Pure data in, data out (docs/topologies.md); fleet_description validates the description and calls these.
"""

from __future__ import annotations


class TopologyError(ValueError):
    """A dependency graph or a rollout that cannot be ordered; the message names the projects or nodes."""


def waves(depends_on):
    """{project key: wave} from {project key: [upstream keys]}: wave 0 has no upstream project, wave k+1 depends on
    at least one project of wave k. Raises TopologyError on an unknown upstream or a cycle (named in full)."""
    for key, upstream in depends_on.items():
        unknown = sorted(set(upstream) - set(depends_on))
        if unknown:
            raise TopologyError("projects.%s.depends_on: %s not in projects (%s)"
                                % (key, ", ".join(unknown), ", ".join(depends_on)))
    levels = {}
    for key in depends_on:
        _visit(key, depends_on, levels, [])
    return levels


def _visit(key, depends_on, levels, path):
    if key in levels:
        return levels[key]
    if key in path:
        cycle = path[path.index(key):] + [key]
        raise TopologyError("projects: depends_on makes a cycle, %s (each project must be deployable after its "
                            "upstream projects: remove one of these dependencies)" % " -> ".join(cycle))
    path.append(key)
    level = 1 + max((_visit(up, depends_on, levels, path) for up in depends_on[key]), default=-1)
    path.pop()
    levels[key] = level
    return level


def phases(nodes, canary, batch_size, where):
    """{node: phase} for the nodes of one environment, in the description's order: the canary node (when set) is
    phase 0, the others follow ``batch_size`` nodes per phase (all of them in one phase when None)."""
    if canary is not None and canary not in nodes:
        raise TopologyError("%s.canary must name one of the environment's nodes (%s), got %r"
                            % (where, ", ".join(nodes), canary))
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise TopologyError("%s.batch_size must be a number of nodes (1 or more), got %r" % (where, batch_size))
    result = {canary: 0} if canary is not None else {}
    others = [node for node in nodes if node != canary]
    size = batch_size or len(others) or 1
    first = len(result)
    for index, node in enumerate(others):
        result[node] = first + index // size
    return result


def step(phase, wave, wave_count):
    """The deploy step of a host: every wave of the canary phase, then every wave of each next phase."""
    return phase * wave_count + wave


def step_count(phase_count, wave_count):
    return max(1, phase_count) * max(1, wave_count)
