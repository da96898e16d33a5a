{#- The WHEN branches of a surge's level, the daily and the intraday model's alike: a rise of at least the level's
    ratio (vars surge_critical_ratio, surge_warning_ratio, surge_watch_ratio) that is also significant, a z-score
    of min_z or more. The negative-sentiment share (complaint_sentiment_daily) levels by its own rises:
    prefix 'sentiment' reads vars sentiment_*_ratio. -#}
{% macro surge_levels(ratio, z_score, min_z=var('surge_min_z'), prefix='surge') -%}
    {%- for level in ('critical', 'warning', 'watch') %}
            when {{ ratio }} >= {{ var(prefix ~ '_' ~ level ~ '_ratio') }} and {{ z_score }} >= {{ min_z }} then '{{ level }}'
    {%- endfor %}
{%- endmacro %}
