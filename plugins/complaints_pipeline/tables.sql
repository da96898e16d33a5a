-- The pipeline's own tables in the warehouse, in SQL both DuckDB and PostgreSQL run (warehouse.TABLE_DDL).
-- The complaint versions, quarantine and skipped tables are declared as Arrow schemas instead
-- (sources/base.py), since the parsers write them as Parquet.

-- One row per channel and landing date loaded: records in, loaded, quarantined, skipped
-- (the day gate's columns are added in warehouse.RECONCILIATION_GATE_COLUMNS).
create table if not exists raw.load_reconciliation (
    channel varchar not null,
    partition_date date not null,
    files integer not null,
    records_in integer not null,
    loaded integer not null,
    quarantined integer not null,
    skipped integer not null,
    run_id varchar,
    primary key (channel, partition_date)
);

-- The run log analysis timeliness is measured on: when each business date's marts were published.
create table if not exists raw.mart_publications (
    business_date date not null,
    published_at timestamp not null,
    run_id varchar
);

-- The complaint dates each channel's landing date changed when it last loaded: dbt's incremental models
-- rebuild the dates changed since their last build (a version landing today may be of a complaint received
-- weeks ago).
create table if not exists raw.load_complaint_dates (
    channel varchar not null,
    partition_date date not null,
    complaint_date date not null,
    loaded_at timestamp not null
);

-- The public holidays of every year the loaded complaint dates touch (and the year after), for the
-- configured country and subdivision ('' for the whole country): dbt's `dates` reads them
-- (business_calendar.py).
create table if not exists raw.public_holidays (
    holiday_date date not null,
    country_code varchar not null,
    subdivision_code varchar not null,
    holiday_name varchar not null,
    primary key (holiday_date, country_code, subdivision_code)
);

-- The learned classifier's category of each text no person categorised (categoriser.py), keyed by the MD5
-- of the text, as dbt's md5() computes it: the same text keeps the category the model of its first load
-- gave.
create table if not exists raw.text_categories (
    text_hash varchar primary key,
    category varchar not null,
    confidence double precision not null,
    model_version varchar not null,
    categorised_at timestamp not null
);

-- The fast lane's learned classifier: each rule model's probability for each text of a loaded day
-- (critical_model.py), keyed by the MD5 of the text; the same text keeps what the model of its first load gave.
create table if not exists raw.text_critical (
    text_hash varchar not null,
    critical_rule varchar not null,
    probability double precision not null,
    model_version varchar not null,
    scored_at timestamp not null,
    primary key (text_hash, critical_rule)
);

-- Each complaint text's sentiment (sentiment.py: VADER for English, a lexicon over jieba's words for Chinese),
-- keyed by the MD5 of the text; scored once, at the load that first brought it.
create table if not exists raw.text_sentiment (
    text_hash varchar primary key,
    sentiment_score double precision not null,
    sentiment_label varchar not null,  -- negative | neutral | positive
    sentiment_method varchar not null,  -- vader | lexicon-zh
    scored_at timestamp not null
);

-- Near-duplicate texts (copies.py): each text long enough to link, keyed by its MD5, with its copy group (the MD5
-- of the group's first text); linked once, at the load that first brought it. Campaigns are dbt's call.
create table if not exists raw.text_copies (
    text_hash varchar primary key,
    copy_group varchar not null,
    linked_at timestamp not null
);

-- The CRM's customers as its newest export loaded says (customers.py): one row per customer key (the HMAC of the
-- customer id, as every identity), replaced whole by a newer export.
create table if not exists raw.crm_customers (
    customer_key varchar not null,
    first_purchase_date date not null,
    last_purchase_date date not null,
    order_count bigint not null,
    spend_amount double precision not null,
    export_date date not null
);

-- Every surge alert tried, one row per date and series: sent once, retried while it fails (alerts.py).
create table if not exists ops.alert_log (
    surge_date date not null,
    dimension_name varchar not null,
    dimension_value varchar not null,
    surge_level varchar not null,
    actual_count integer not null,
    expected_count double precision,
    actual_to_expected_ratio double precision,
    status varchar not null,  -- pending | sent | failed
    attempts integer not null,
    message_id varchar not null,
    subject varchar not null,
    recipients varchar not null,
    first_tried_at timestamp not null,
    last_tried_at timestamp not null,
    sent_at timestamp,
    last_error varchar,
    run_id varchar,
    alerted_by varchar not null,  -- daily | intraday
    as_of_local timestamp,  -- an intraday alert: the local time its counts were taken by
    primary key (surge_date, dimension_name, dimension_value, surge_level)
);

-- The fast lane's log (critical.py): one row per critical complaint, emailed once on its own (status sent), or
-- logged without an email when it was first loaded too long after it came in (historical: a backfill).
create table if not exists ops.critical_alert_log (
    complaint_id varchar primary key,
    complaint_date date not null,
    critical_rule varchar not null,
    status varchar not null,  -- pending | sent | failed | historical
    attempts integer not null,
    message_id varchar,
    subject varchar,
    recipients varchar,
    first_tried_at timestamp not null,
    last_tried_at timestamp not null,
    sent_at timestamp,
    last_error varchar,
    run_id varchar,
    alerted_by varchar not null  -- daily | intraday
);
