UPDATE customers SET email_domain = NULL;
