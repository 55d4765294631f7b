"""The short waits of the tests, in one place (every wait is a setting; these are the tests' values).

* `SIM_TIMING`: the simulator's clock (`Timing`): toolstack restart 0.3 s,
  boot 0.1 s, emergency retry 2 s, the hosts' own TCP check 10 ms;
* `ENGINE_FAST`: an engine on the simulator: connect 2 s, command 3 s,
  reach 1 s, keepalive 0.5 s (a pulled cable is seen in about 1.5 s);
* `CONSOLE_FAST`: the console on the simulator: the engine's, polling every
  0.5 s, the runner waiting a 0.3 s toolstack fuse;
* `FAULTS_FAST`: the fault-injection tests, whose faults hang commands on
  purpose: connect 1.5 s, command 2 s, reach 1 s.
"""

from __future__ import annotations

__all__ = ["CONSOLE_FAST", "ENGINE_FAST", "FAULTS_FAST", "SIM_TIMING"]

SIM_TIMING: dict[str, float] = dict(fuse=0.3, boot=0.1, emergency_retry=2.0, reach_connect=0.01)
ENGINE_FAST: dict[str, float] = dict(connect_timeout=2.0, command_timeout=3.0, reach_timeout=1.0, keepalive_interval=0.5)
CONSOLE_FAST: dict[str, float] = dict(ENGINE_FAST, poll_interval=0.5, toolstack_fuse=0.3)
FAULTS_FAST: dict[str, float] = dict(connect_timeout=1.5, command_timeout=2.0, reach_timeout=1.0)
# HA's clock in the simulator (xensim/ha.py): T 1.5 s, the monitor's poll 0.5 s, a fence reboot 0.5 s
HA_FAST: dict[str, float] = dict(ha_timeout=1.5, ha_monitor=0.5, ha_tick=0.1, ha_reboot=0.5, ha_retry=0.5, ha_restart=0.2)
