DROP INDEX budgets_expiry;
DROP TABLE budgets;
