import os
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()


def create_app():
    app = Flask(__name__)
    # The application's own setting, not DATABASE_URL.
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["SHOP_DB"]
    db.init_app(app)
    migrate.init_app(app, db)
    from . import models  # noqa: F401
    return app
