-- Weekly Pareto of complaints by fishbone cause: share, cumulative share, rank, the vital few, the change.
with

{{ weekly_complaints() }}

{{ weekly_pareto('complaints', [], 'fishbone_cause') }}
