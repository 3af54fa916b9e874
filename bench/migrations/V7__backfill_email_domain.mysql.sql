UPDATE customers SET email_domain = SUBSTRING_INDEX(email, '@', -1) WHERE email_domain IS NULL;
