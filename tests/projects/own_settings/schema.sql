CREATE TABLE notes (
    id INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (id)
);
