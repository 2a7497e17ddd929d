"""The tutorial's configuration as provisioning steps: which steps each stage runs on each node.

stages.py says what runs where; files.py computes each config file from its current text;
repos.py the CentOS vault repositories; scripts/ holds the shell provisioners.
"""
