"""After-sales management (framework node 2.1.6): tickets with SLA timers on working calendars.
Not registered as a module yet (no manifest): this session holds the pure engine only
(:mod:`.sla_timer`)."""
