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
