{{ stage_complaints(source('social', 'social_complaints')) }}
