def to_data_dictionary(design):
    return ""
