{{ stage_complaints(source('phone', 'phone_complaints')) }}
