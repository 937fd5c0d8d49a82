# Vietnamese conventions: day/month/year, a comma for decimals and a dot for
# thousands (Django's own Vietnamese formats do not group thousands).
#
# One date format for every page, export and e-mail: "1/10/2026" (day/month/year in
# figures, no leading zeros). It is how Vietnamese write a date by hand, in the press and
# in spreadsheets set to Vietnamese, it is as short as the English "1 Oct 2026", and it
# needs no month abbreviation ("thg 10"), which reads as a half-translated word in a
# table. Templates ask for DATE_FORMAT / SHORT_DATE_FORMAT, never a pattern of their own.
DATE_FORMAT = "j/n/Y"
SHORT_DATE_FORMAT = "j/n/Y"
DATETIME_FORMAT = "H:i, j/n/Y"
SHORT_DATETIME_FORMAT = "H:i, j/n/Y"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "n/Y"
MONTH_DAY_FORMAT = "j/n"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
