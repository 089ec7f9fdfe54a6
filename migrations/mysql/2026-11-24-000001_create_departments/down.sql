DROP TABLE departments;
