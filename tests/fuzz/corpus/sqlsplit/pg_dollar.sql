CREATE FUNCTION f() RETURNS trigger AS $body$
BEGIN NEW.x := 'a;b'; RETURN NEW; END; $body$ LANGUAGE plpgsql;
/* nested /* comment; */ still */ SELECT E'it\'s;', "quo;ted" FROM t; -- trailing ;
SELECT $$;$$;
