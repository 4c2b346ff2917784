"""The one SQLAlchemy ``MetaData`` every table of the orchestration database belongs to."""

import sqlalchemy as sa

metadata = sa.MetaData()
