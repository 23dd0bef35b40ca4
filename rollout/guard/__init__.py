"""The guard: rollout steps per route (``steps``: ``[rollout."KEY"]``), the bounds a step
is judged on (``bounds``), the transitions (``control``: promote, pause, roll back; its
state in ``state``) and the thread that runs them in every router process, one acting
behind an advisory lock (``runner``).

Reads the traffic windows (``rollout.telemetry``) and writes flags through an audited
writer (``rollout.flags``); nothing here serves HTTP.
"""
