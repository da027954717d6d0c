DROP TABLE user_groups;
DROP TABLE groups;
DROP TABLE users;
