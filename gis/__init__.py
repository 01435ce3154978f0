"""gridmap's spatial engine: models, database, CRS, import/export, assignment, planning.

Knows nothing of HTTP or HTML (see the import-linter contracts in pyproject.toml).
"""

import pandas as pd

# pandas 3 backs its default ``str`` dtype with pyarrow whenever pyarrow is installed (it is,
# for GeoParquet), and Arrow strings refuse some operations Python strings allow (adding an
# all-missing column: layers.plans.flag_label). One storage, whatever is installed.
pd.set_option("mode.string_storage", "python")
