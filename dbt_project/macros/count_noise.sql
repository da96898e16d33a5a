{#- The standard deviation a day's count has by chance alone around an expectation that is the median of
    `weeks` past counts: Poisson noise of the count (variance = expected) plus that of the median
    (pi / 2n times a count's variance). At least the noise of a count of 1. -#}
{% macro count_noise(expected, weeks) -%}
    sqrt(cast(
        case when {{ expected }} > 1 then {{ expected }} else 1 end
        * (1 + 1.5708 / case when {{ weeks }} > 1 then {{ weeks }} else 1 end)
        as double precision
    ))
{%- endmacro %}

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

{#- Join conditions of the surge model: the same series (dimension and value), and the same day of it. -#}
{% macro same_series(left, right) -%}
    {{ left }}.dimension_name = {{ right }}.dimension_name and {{ left }}.dimension_value = {{ right }}.dimension_value
{%- endmacro %}

{% macro same_series_day(left, right) -%}
    {{ same_series(left, right) }} and {{ left }}.date_day = {{ right }}.date_day
{%- endmacro %}
