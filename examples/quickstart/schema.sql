-- The declared schema of the quickstart: migdiff compares it with app.db.
CREATE TABLE authors (
    id INTEGER NOT NULL,
    name VARCHAR(100) NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE books (
    id INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    author_id INTEGER,
    published DATE,
    PRIMARY KEY (id),
    CONSTRAINT fk_books_author FOREIGN KEY (author_id) REFERENCES authors (id) ON DELETE CASCADE,
    CONSTRAINT ck_books_title CHECK (length(title) > 0)
);

CREATE INDEX ix_books_title ON books (title);
