from .users import User  # noqa: F401
from .orders import Order  # noqa: F401
from .. import db

metadata = db.metadata
