module tttexplainer

go 1.26
