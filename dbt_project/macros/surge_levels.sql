{#- The WHEN branches of a surge's level, the daily and the intraday model's alike: a rise of at least the level's
    ratio (vars surge_critical_ratio, surge_warning_ratio, surge_watch_ratio) that is also significant, a z-score
    of min_z or more. -#}
{% macro surge_levels(ratio, z_score, min_z=var('surge_min_z')) -%}
    {%- for level in ('critical', 'warning', 'watch') %}
            when {{ ratio }} >= {{ var('surge_' ~ level ~ '_ratio') }} and {{ z_score }} >= {{ min_z }} then '{{ level }}'
    {%- endfor %}
{%- endmacro %}
