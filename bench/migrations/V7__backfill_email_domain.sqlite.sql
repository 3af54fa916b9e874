UPDATE customers SET email_domain = substr(email, instr(email, '@') + 1) WHERE email_domain IS NULL;
