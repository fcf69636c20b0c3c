"""The fleet simulator's parts: service set-up, async signed transport, the kiosk code it runs.

``benchmarks/fleet_sim.py`` (the simulator) and ``benchmarks/bench_fleet.py`` (the benchmark
printing the figures of issue #14, part 7) are built from these modules.
"""
