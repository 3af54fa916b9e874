UPDATE customers SET email_domain = split_part(email, '@', 2) WHERE email_domain IS NULL;
