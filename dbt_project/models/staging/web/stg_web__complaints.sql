{{ stage_complaints(source('web', 'web_complaints')) }}
