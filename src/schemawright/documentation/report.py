def to_report(design):
    return ""
