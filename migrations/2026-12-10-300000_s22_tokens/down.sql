DROP TABLE reauth_challenges;
