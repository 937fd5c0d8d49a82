# Vietnamese conventions: day/month/year, a comma for decimals and a dot for
# thousands (Django's own Vietnamese formats do not group thousands).
DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "H:i, d/m/Y"
SHORT_DATETIME_FORMAT = "H:i, d/m/Y"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "m/Y"
MONTH_DAY_FORMAT = "d/m"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
