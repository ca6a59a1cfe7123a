CREATE DATABASE deletion_target OWNER deletion;
