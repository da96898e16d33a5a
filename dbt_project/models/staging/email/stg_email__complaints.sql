{{ stage_complaints(source('email', 'email_complaints')) }}
