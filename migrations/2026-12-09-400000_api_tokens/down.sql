DROP TABLE api_tokens;
DROP TABLE service_accounts;
