"""The application's settings: its database comes from its own variable."""
import os

DATABASE_URL = os.environ["APP_DATABASE_URL"]
