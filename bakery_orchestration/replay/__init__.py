"""``bakery-orch replay``: a real sales history played back, morning by morning, through the
daily graph, the audit and the sensors, to show what the system would have said each day.

Pure pieces: ``inputs`` (the sales file), ``inject`` (faults), ``cron`` (schedule ticks),
``report`` (the per-day report). Dagster pieces: ``world`` (the temporary tenant), ``ticks``
(jobs, sensors and schedules run in process), ``observe`` (what a day left behind), ``runner``
(the day loop) and ``process`` (the isolated child process the command starts).
"""
