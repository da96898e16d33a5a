{#- How far a count lies above an expectation, in standard normal units, right for small counts too: the
    2/3-power (Anscombe) transform of a Poisson count is close to normal with variance 4/9 mu^(1/3), as
    Farrington's outbreak detection uses it. `dispersion` (at least 1) widens that for counts that vary
    more than Poisson and for the expectation's own uncertainty. A count of 15 where 3 were expected
    scores 5.0; 3 where 1 was expected, 1.6; 3 where 0.11 was, 4.0. -#}
{% macro count_z_score(actual, expected, dispersion='1') -%}
    1.5 * (
        power(cast({{ actual }} as double precision), 2.0 / 3)
        - power(cast({{ expected }} as double precision), 2.0 / 3)
    ) / (
        power(cast({{ expected }} as double precision), 1.0 / 6)
        * sqrt(cast({{ dispersion }} as double precision))
    )
{%- endmacro %}
