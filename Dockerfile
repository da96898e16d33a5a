# Airflow image for the complaint-analytics pipeline (used by docker-compose.yml, `build: .`).
#
# The official image extended with the pinned requirements.lock, as in "Extending the image":
#   https://airflow.apache.org/docs/docker-stack/build.html#extending-the-image
# The tag must stay equal to the apache-airflow version pinned in requirements.lock, so that installing the
# lock never up- or downgrades Airflow (tests/deploy/test_docker_compose.py checks it). Nothing else is
# copied in: docker-compose.yml mounts dags/, plugins/, dbt_project/, expectations/ and var/.
FROM apache/airflow:3.3.2-python3.11

# Telemetry off (dbt, Great Expectations, cosmos) and no example DAGs.
ENV DO_NOT_TRACK=1 \
    GX_ANALYTICS_ENABLED=false \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=false \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    AIRFLOW__CORE__LOAD_EXAMPLES=false

# Install as the airflow user (never as root), into the image's user site like the rest of Airflow.
USER airflow
COPY --chown=airflow:0 requirements.lock /opt/airflow/requirements.lock
RUN pip install --no-cache-dir -r /opt/airflow/requirements.lock
